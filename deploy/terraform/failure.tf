# Nothing is lost after the last retry. An asynchronous invocation
# (CloudWatch Logs subscription, S3 notification) that still fails after
# Lambda's two retries, and a Kinesis batch that still fails after its
# retries, is sent to the on-failure destination: on_failure_destination_arn,
# or this module's SQS queue <name>-on-failure. lambda-promtail has none, so
# Lambda discards those events.
#
# An asynchronous failure record holds the whole event (requestPayload) and
# can be replayed with `aws lambda invoke`; a Kinesis one holds the shard and
# sequence numbers of the batch, to be read again from the stream within its
# retention (README "Deploy").

resource "aws_sqs_queue" "on_failure" {
  count = var.on_failure_destination_arn == "" ? 1 : 0

  name                      = "${var.name}-on-failure"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

locals {
  on_failure_arn = (var.on_failure_destination_arn != "" ?
  var.on_failure_destination_arn : aws_sqs_queue.on_failure[0].arn)

  # Lambda delivers to the destination with the function's role.
  # (from the variable, so it is known at plan time)
  on_failure_action = (var.on_failure_destination_arn != "" &&
    try(split(":", var.on_failure_destination_arn)[2], "") == "sns" ?
  "sns:Publish" : "sqs:SendMessage")
}

resource "aws_iam_role_policy" "lambda_destinations" {
  name   = "on-failure"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.lambda_destinations.json
}

data "aws_iam_policy_document" "lambda_destinations" {
  statement {
    actions   = [local.on_failure_action]
    resources = [local.on_failure_arn]
  }
}
