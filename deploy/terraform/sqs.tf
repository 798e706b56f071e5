# sqs_enabled: S3 object created -> SQS main queue -> function. A message
# whose invocation fails goes back to the queue and, after 5 receives, to
# the dead-letter queue, from which it can be redriven (README "Deploy").
#
# Unlike lambda-promtail's sqs.tf this one maps the queue to the function
# (there the queue had no consumer) and its bucket notifications honour
# filter_prefix/filter_suffix (there they were fixed to VPC_FL/ and .log.gz).

locals {
  bucket_arns = [for name in var.bucket_names : "arn:aws:s3:::${name}"]
  main_queue  = "${var.sqs_queue_name_prefix}-main-queue"

  # Lambda wants a visibility timeout of at least the function timeout;
  # AWS advises six times it, so a retried batch is not received twice.
  visibility_timeout = max(300, 6 * var.timeout)
}

resource "aws_s3_bucket_notification" "sqs" {
  for_each = var.sqs_enabled ? var.bucket_names : toset([])

  bucket = each.value

  queue {
    queue_arn     = aws_sqs_queue.main[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = var.filter_prefix
    filter_suffix = var.filter_suffix
  }
}

resource "aws_sqs_queue" "main" {
  count = var.sqs_enabled ? 1 : 0

  name                       = local.main_queue
  sqs_managed_sse_enabled    = true
  policy                     = data.aws_iam_policy_document.queue_policy[0].json
  visibility_timeout_seconds = local.visibility_timeout
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[0].arn
    maxReceiveCount     = 5
  })
}

# The named buckets may send to the main queue.
data "aws_iam_policy_document" "queue_policy" {
  count = var.sqs_enabled ? 1 : 0

  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:*:*:${local.main_queue}"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.bucket_arns
    }
  }
}

resource "aws_sqs_queue" "dead_letter" {
  count = var.sqs_enabled ? 1 : 0

  name                      = "${var.sqs_queue_name_prefix}-dead-letter-queue"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

# Only the main queue may use it, and messages may be redriven back to it.
resource "aws_sqs_queue_redrive_allow_policy" "this" {
  count = var.sqs_enabled ? 1 : 0

  queue_url = aws_sqs_queue.dead_letter[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue",
    sourceQueueArns   = [aws_sqs_queue.main[0].arn]
  })
}

# The function's role: receive and delete on the main queue, nothing else
# (instead of the broad AWSLambdaSQSQueueExecutionRole).
resource "aws_iam_role_policy" "lambda_sqs" {
  count = var.sqs_enabled ? 1 : 0

  name   = "sqs"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_sqs[0].json
}

data "aws_iam_policy_document" "lambda_sqs" {
  count = var.sqs_enabled ? 1 : 0

  statement {
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.main[0].arn]
  }
}

# The mapping lambda-promtail's sqs.tf lacks. With ReportBatchItemFailures
# only the messages whose objects failed are retried.
resource "aws_lambda_event_source_mapping" "sqs" {
  count = var.sqs_enabled ? 1 : 0

  event_source_arn        = aws_sqs_queue.main[0].arn
  function_name           = aws_lambda_function.this.arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  depends_on = [aws_iam_role_policy.lambda_sqs]
}
