# lokipipe on AWS Lambda: the function, its role, and its event sources
# (CloudWatch Logs subscriptions, S3 notifications, Kinesis streams).
# Resource addresses are lambda-promtail's, so a state written by its module
# plans as an update of the function, not a replacement of everything.
# sqs.tf: the S3 -> SQS -> function path; failure.tf: where failed events go.

data "aws_region" "current" {}

locals {
  use_image = var.lambda_promtail_image != ""
  use_s3    = !local.use_image && var.lambda_promtail_binary_bucket != ""
  use_local = !local.use_image && !local.use_s3
  zip_path = (var.lambda_promtail_zip != "" ? var.lambda_promtail_zip :
  "${path.module}/../../dist/lokipipe-lambda-${var.architectures[0]}.zip")

  username = try(coalesce(var.username_secret_arn,
  var.username_parameter_arn, var.username), "")
  password = try(coalesce(var.password_secret_arn,
  var.password_parameter_arn, var.password), "")
  bearer_token = try(coalesce(var.bearer_token_secret_arn,
  var.bearer_token_parameter_arn, var.bearer_token), "")

  # The SQS and Kinesis mappings have ReportBatchItemFailures: the function
  # then answers with the records that failed, and only those are retried.
  # It must not answer that way without the mapping setting (Lambda would
  # read a partial failure as a success), hence one switch for both.
  report_batch_item_failures = var.sqs_enabled || length(var.kinesis_stream_name) > 0

  # What the stages read (lambda-promtail's names; each stage's --help
  # says what it does with them). Empty means the stage's default.
  environment = {
    WRITE_ADDRESS              = var.write_address
    USERNAME                   = local.username
    PASSWORD                   = local.password
    BEARER_TOKEN               = local.bearer_token
    TENANT_ID                  = var.tenant_id
    SKIP_TLS_VERIFY            = var.skip_tls_verify
    BATCH_SIZE                 = var.batch_size
    KEEP_STREAM                = var.keep_stream
    PRINT_LOG_LINE             = var.print_log_line
    EXTRA_LABELS               = var.extra_labels
    OMIT_EXTRA_LABELS_PREFIX   = var.omit_extra_labels_prefix ? "true" : "false"
    DROP_LABELS                = var.drop_labels
    RELABEL_CONFIGS            = var.relabel_configs
    LOKI_STAGE_CONFIGS         = var.loki_stage_configs
    PIPELINE_TIMEOUT           = var.pipeline_timeout
    REPORT_BATCH_ITEM_FAILURES = local.report_batch_item_failures ? "true" : "false"
    LOG_LEVEL                  = var.log_level
  }
}

#-------------------------------------------------------------------------------
# IAM role of the function: only what it uses
#-------------------------------------------------------------------------------

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# In a VPC the function needs to create and delete its network interfaces;
# the AWS managed policy also carries the logs permissions.
resource "aws_iam_role_policy_attachment" "lambda_vpc_execution" {
  count = length(var.lambda_vpc_subnets) > 0 ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = data.aws_iam_policy.lambda_vpc_execution[0].arn
}

data "aws_iam_policy" "lambda_vpc_execution" {
  count = length(var.lambda_vpc_subnets) > 0 ? 1 : 0

  name = "AWSLambdaVPCAccessExecutionRole"
}

# Its own log group only.
resource "aws_iam_role_policy" "lambda_cloudwatch" {
  count = length(var.lambda_vpc_subnets) == 0 ? 1 : 0

  name   = "cloudwatch"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_cloudwatch[0].json
}

data "aws_iam_policy_document" "lambda_cloudwatch" {
  count = length(var.lambda_vpc_subnets) == 0 ? 1 : 0

  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      format("%s:*", aws_cloudwatch_log_group.this.arn),
    ]
  }
}

# The environment variables are encrypted with this key.
resource "aws_iam_role_policy" "lambda_kms" {
  count = var.kms_key_arn != "" ? 1 : 0

  name   = "kms"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_kms[0].json
}

data "aws_iam_policy_document" "lambda_kms" {
  count = var.kms_key_arn != "" ? 1 : 0

  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

# Objects of the named buckets, read only.
resource "aws_iam_role_policy" "lambda_s3" {
  count = length(var.bucket_names) > 0 ? 1 : 0

  name   = "s3"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_s3[0].json
}

data "aws_iam_policy_document" "lambda_s3" {
  count = length(var.bucket_names) > 0 ? 1 : 0

  statement {
    actions = ["s3:GetObject"]
    resources = [
      for bucket_name in var.bucket_names : "arn:aws:s3:::${bucket_name}/*"
    ]
  }
}

# What a Kinesis event source mapping needs to read the named streams.
resource "aws_iam_role_policy" "lambda_kinesis" {
  count = length(var.kinesis_stream_name) > 0 ? 1 : 0

  name   = "kinesis"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_kinesis[0].json
}

data "aws_iam_policy_document" "lambda_kinesis" {
  count = length(var.kinesis_stream_name) > 0 ? 1 : 0

  statement {
    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
      "kinesis:SubscribeToShard",
    ]
    resources = [for stream in aws_kinesis_stream.this : stream.arn]
  }
  statement {
    actions   = ["kinesis:ListStreams"]
    resources = ["*"]
  }
}

# Credentials kept in SSM or Secrets Manager, resolved at start.
locals {
  ssm_parameter_arns = compact([var.username_parameter_arn,
  var.password_parameter_arn, var.bearer_token_parameter_arn])
  secret_arns = compact([var.username_secret_arn,
  var.password_secret_arn, var.bearer_token_secret_arn])
}

resource "aws_iam_role_policy" "lambda_credentials" {
  count = length(local.ssm_parameter_arns) + length(local.secret_arns) > 0 ? 1 : 0

  name   = "credentials"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_credentials[0].json
}

data "aws_iam_policy_document" "lambda_credentials" {
  count = length(local.ssm_parameter_arns) + length(local.secret_arns) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = length(local.ssm_parameter_arns) > 0 ? [1] : []
    content {
      actions   = ["ssm:GetParameter"]
      resources = local.ssm_parameter_arns
    }
  }
  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [1] : []
    content {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.secret_arns
    }
  }
}

#-------------------------------------------------------------------------------
# The function
#-------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_in_days
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  role          = aws_iam_role.this.arn
  kms_key_arn   = var.kms_key_arn == "" ? null : var.kms_key_arn
  architectures = var.architectures

  package_type = local.use_image ? "Image" : "Zip"
  image_uri    = local.use_image ? var.lambda_promtail_image : null
  # The zip holds a `bootstrap` for the OS-only runtime; the handler name
  # is not used by it.
  runtime          = local.use_image ? null : "provided.al2023"
  handler          = local.use_image ? null : "bootstrap"
  s3_bucket        = local.use_s3 ? var.lambda_promtail_binary_bucket : null
  s3_key           = local.use_s3 ? var.lambda_promtail_binary_key : null
  filename         = local.use_local ? local.zip_path : null
  source_code_hash = (local.use_local && fileexists(local.zip_path) ?
  filebase64sha256(local.zip_path) : null)

  # Defaults measured, not copied: see variables.tf.
  memory_size = var.memory_size
  timeout     = var.timeout

  # Both lists empty: no VPC.
  vpc_config {
    subnet_ids         = var.lambda_vpc_subnets
    security_group_ids = var.lambda_vpc_security_groups
  }

  environment {
    variables = local.environment
  }

  lifecycle {
    precondition {
      condition     = (local.username == "") == (local.password == "")
      error_message = "username and password go together: set both (or their *_secret_arn / *_parameter_arn forms) or neither."
    }
    precondition {
      condition     = local.bearer_token == "" || local.username == ""
      error_message = "bearer_token cannot be used together with username/password."
    }
    precondition {
      condition     = !local.use_local || fileexists(local.zip_path)
      error_message = "no lambda_promtail_image, no lambda_promtail_binary_bucket, and the local zip (lambda_promtail_zip) does not exist: build it first (see README \"Deploy\")."
    }
  }

  depends_on = [
    aws_iam_role_policy.lambda_s3,
    aws_iam_role_policy.lambda_kms,
    aws_iam_role_policy.lambda_kinesis,
    aws_iam_role_policy.lambda_cloudwatch,
    aws_iam_role_policy.lambda_credentials,
    aws_iam_role_policy.lambda_destinations,
    aws_iam_role_policy.lambda_sqs,
    aws_iam_role_policy_attachment.lambda_vpc_execution,

    # Created after, and destroyed before, the log group, so an invocation
    # cannot re-create the group outside Terraform.
    aws_cloudwatch_log_group.this,
  ]
}

# Asynchronous invocations (CloudWatch Logs, S3 notifications): Lambda
# retries a failed event twice, as with lambda-promtail, and then hands it
# to the on-failure destination instead of discarding it (failure.tf).
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name          = aws_lambda_function.this.function_name
  maximum_retry_attempts = 2

  destination_config {
    on_failure {
      destination = local.on_failure_arn
    }
  }

  depends_on = [aws_iam_role_policy.lambda_destinations]
}

#-------------------------------------------------------------------------------
# CloudWatch Logs: one subscription filter per log group
#-------------------------------------------------------------------------------

resource "aws_lambda_permission" "lambda_promtail_allow_cloudwatch" {
  count = length(var.log_group_names) > 0 ? 1 : 0

  statement_id  = "lambda-promtail-allow-cloudwatch"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "logs.${data.aws_region.current.region}.amazonaws.com"
}

# Every log event of each group. To filter one group, copy this block with
# its own log_group_name and filter_pattern.
resource "aws_cloudwatch_log_subscription_filter" "lambdafunction_logfilter" {
  for_each = var.log_group_names

  name            = "lambdafunction_logfilter_${each.value}"
  log_group_name  = each.value
  destination_arn = aws_lambda_function.this.arn
  filter_pattern  = ""

  depends_on = [aws_lambda_permission.lambda_promtail_allow_cloudwatch]
}

#-------------------------------------------------------------------------------
# S3: object created -> function (without sqs_enabled; see sqs.tf)
#-------------------------------------------------------------------------------

resource "aws_lambda_permission" "allow_s3_invoke_lambda_promtail" {
  for_each = var.sqs_enabled ? toset([]) : var.bucket_names

  statement_id  = "lambda-promtail-allow-s3-bucket-${each.value}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.arn
  principal     = "s3.amazonaws.com"
  source_arn    = "arn:aws:s3:::${each.value}"
}

resource "aws_s3_bucket_notification" "this" {
  for_each = var.sqs_enabled ? toset([]) : var.bucket_names

  bucket = each.value

  lambda_function {
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.filter_prefix
    filter_suffix       = var.filter_suffix
  }

  depends_on = [aws_lambda_permission.allow_s3_invoke_lambda_promtail]
}

#-------------------------------------------------------------------------------
# Kinesis: the streams (created here, as lambda-promtail does) and their
# mappings
#-------------------------------------------------------------------------------

resource "aws_kinesis_stream" "this" {
  for_each = var.kinesis_stream_name

  name             = each.value
  shard_count      = 1
  retention_period = 48

  shard_level_metrics = [
    "IncomingBytes",
    "OutgoingBytes",
  ]

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

# A failing batch is split in two until the bad records are isolated; the
# function reports the records it could not deliver (ReportBatchItemFailures)
# and, after the last retry, their shard and sequence numbers go to the
# on-failure destination instead of blocking the shard until they expire.
resource "aws_lambda_event_source_mapping" "this" {
  for_each = aws_kinesis_stream.this

  event_source_arn               = each.value.arn
  function_name                  = aws_lambda_function.this.arn
  starting_position              = "LATEST"
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 10
  function_response_types        = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = local.on_failure_arn
    }
  }

  depends_on = [
    aws_iam_role_policy.lambda_kinesis,
    aws_iam_role_policy.lambda_destinations,
  ]
}
