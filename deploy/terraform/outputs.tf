output "lambda_function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "The function's own CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "on_failure_destination_arn" {
  description = "Where events the function failed on after the last retry go (asynchronous invocations and Kinesis)."
  value       = local.on_failure_arn
}

output "on_failure_queue_url" {
  description = "URL of the on-failure queue this module created (empty when on_failure_destination_arn was given)."
  value       = try(aws_sqs_queue.on_failure[0].url, "")
}

output "sqs_main_queue_url" {
  description = "URL of the S3 notification queue (sqs_enabled)."
  value       = try(aws_sqs_queue.main[0].url, "")
}

output "sqs_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of the S3 notification queue (sqs_enabled): redrive from it."
  value       = try(aws_sqs_queue.dead_letter[0].arn, "")
}

output "sqs_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of the S3 notification queue (sqs_enabled)."
  value       = try(aws_sqs_queue.dead_letter[0].url, "")
}
