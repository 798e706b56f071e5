#-------------------------------------------------------------------------------
# Variables with the names lambda-promtail's module uses: a `terraform apply`
# line written for lambda-promtail works here unchanged (only the image
# differs). tests/deploy/terraform.t checks every name of theirs is here.
#-------------------------------------------------------------------------------

variable "name" {
  type        = string
  description = "Name used for created AWS resources (function, role, log group, on-failure queue)."
  default     = "lambda_promtail"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "name: 1 to 50 letters, digits, '-' or '_' (it names the function, the IAM role and the on-failure queue)."
  }
}

variable "write_address" {
  type        = string
  description = "The Loki push API endpoint logs are written to, e.g. https://logs-prod-us-central1.grafana.net/loki/api/v1/push."
  default     = "http://localhost:8080/loki/api/v1/push"

  validation {
    condition     = can(regex("^https?://[^/\\s?#]+(/[^\\s]*)?$", var.write_address))
    error_message = "write_address: must be an http:// or https:// URL, e.g. https://loki.example.com/loki/api/v1/push."
  }
}

#-------------------------------------------------------------------------------
# Event sources
#-------------------------------------------------------------------------------

variable "bucket_names" {
  type        = set(string)
  description = "S3 bucket names to create Event Notifications for (to the function, or to the SQS queue when sqs_enabled)."
  default     = []
}

variable "filter_prefix" {
  type        = string
  description = "Object key prefix for the S3 bucket notifications (direct and through SQS)."
  default     = "AWSLogs/"
}

variable "filter_suffix" {
  type        = string
  description = "Object key suffix for the S3 bucket notifications (direct and through SQS)."
  default     = ".gz"
}

variable "log_group_names" {
  type        = set(string)
  description = "CloudWatch Log Group names to create Subscription Filters for."
  default     = []
}

variable "kinesis_stream_name" {
  type        = set(string)
  description = "Kinesis stream names to create and map to the function as event sources."
  default     = []
}

variable "sqs_enabled" {
  type        = bool
  description = "Send the S3 bucket notifications to an SQS queue that triggers the function; messages that fail 5 times go to a dead-letter queue."
  default     = false
}

variable "sqs_queue_name_prefix" {
  type        = string
  description = "Name prefix for the SQS queues (<prefix>-main-queue, <prefix>-dead-letter-queue)."
  default     = "s3-to-lambda-promtail"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.sqs_queue_name_prefix))
    error_message = "sqs_queue_name_prefix: 1 to 60 letters, digits, '-' or '_' (SQS queue names are at most 80 characters)."
  }
}

#-------------------------------------------------------------------------------
# Function code
#-------------------------------------------------------------------------------

variable "lambda_promtail_image" {
  type        = string
  description = "The ECR image URI of the lokipipe Lambda image. When set, the function is deployed from it (package_type Image)."
  default     = ""

  validation {
    condition     = var.lambda_promtail_image == "" || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[^\\s]+$", var.lambda_promtail_image))
    error_message = "lambda_promtail_image: Lambda runs images from ECR only: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG (or @sha256:...)."
  }
}

variable "lambda_promtail_binary_bucket" {
  type        = string
  description = "The S3 bucket holding the lokipipe Lambda zip (provided.al2023). Used when lambda_promtail_image is empty."
  default     = ""
}

variable "lambda_promtail_binary_key" {
  type        = string
  description = "The S3 key of the lokipipe Lambda zip in lambda_promtail_binary_bucket."
  default     = "lambda-promtail.zip"
}

variable "lambda_promtail_zip" {
  type        = string
  description = "Path of a locally built lokipipe Lambda zip, used when neither lambda_promtail_image nor lambda_promtail_binary_bucket is set. Empty: dist/lokipipe-lambda-<architecture>.zip at the top of the lokipipe tree."
  default     = ""
}

variable "architectures" {
  type        = list(string)
  description = "The function's instruction set: [\"x86_64\"] or [\"arm64\"]; the image or zip must be built for it."
  default     = ["x86_64"]

  validation {
    condition     = length(var.architectures) == 1 && contains(["x86_64", "arm64"], var.architectures[0])
    error_message = "architectures: exactly one of \"x86_64\" or \"arm64\"."
  }
}

# Sizing (README "Deploy", "Sizing"). tests/deploy/sizing.sh measured the
# four streaming stages on a 214 MB ALB log object: 27 MB of peak RSS in
# all, whatever the object's size, and 1.76 s of CPU, i.e. about 25 s at
# 128 MB, where Lambda gives about 7% of a vCPU. Hence 128 MB and 60 s
# (room for loki-push's retries). bench/lambda.sh is to measure the
# function itself in a Lambda-like run.
variable "memory_size" {
  type        = number
  description = "Memory of the function, MB. 128 is enough for lokipipe's streaming stages (README \"Deploy\", \"Sizing\")."
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size: 128 to 10240 MB."
  }
}

variable "timeout" {
  type        = number
  description = "Timeout of one invocation, seconds; it bounds the time spent retrying Loki before the invocation fails and is retried by Lambda."
  default     = 60

  validation {
    condition     = var.timeout >= 3 && var.timeout <= 900
    error_message = "timeout: 3 to 900 seconds."
  }
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every stage: debug, info, warn or error."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level: one of debug, info, warn, error."
  }
}

variable "log_retention_in_days" {
  type        = number
  description = "Retention of the function's own CloudWatch log group."
  default     = 14
}

variable "on_failure_destination_arn" {
  type        = string
  description = "ARN of an SQS queue or SNS topic that receives the events the function failed on after Lambda's last retry (asynchronous invocations and Kinesis). Empty: the module creates an SQS queue <name>-on-failure."
  default     = ""

  validation {
    condition     = var.on_failure_destination_arn == "" || can(regex("^arn:aws[a-z-]*:(sqs|sns):[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.on_failure_destination_arn))
    error_message = "on_failure_destination_arn: the ARN of an SQS queue or an SNS topic."
  }
}

#-------------------------------------------------------------------------------
# Loki credentials. A *_secret_arn or *_parameter_arn wins over the plain
# value; the function resolves it at start and the role may read it.
#-------------------------------------------------------------------------------

variable "username" {
  type        = string
  description = "The basic auth username, e.g. the Grafana Cloud Loki user ID."
  default     = ""
}

variable "username_parameter_arn" {
  type        = string
  description = "The ARN of the SSM parameter holding the basic auth username."
  default     = ""

  validation {
    condition     = var.username_parameter_arn == "" || can(regex("^arn:aws[a-z-]*:ssm:", var.username_parameter_arn))
    error_message = "username_parameter_arn: an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)."
  }
}

variable "username_secret_arn" {
  type        = string
  description = "The ARN of the Secrets Manager secret holding the basic auth username."
  default     = ""

  validation {
    condition     = var.username_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.username_secret_arn))
    error_message = "username_secret_arn: a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."
  }
}

variable "password" {
  type        = string
  description = "The basic auth password, e.g. a Grafana Cloud access policy token."
  sensitive   = true
  default     = ""
}

variable "password_parameter_arn" {
  type        = string
  description = "The ARN of the SSM parameter holding the basic auth password."
  default     = ""

  validation {
    condition     = var.password_parameter_arn == "" || can(regex("^arn:aws[a-z-]*:ssm:", var.password_parameter_arn))
    error_message = "password_parameter_arn: an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)."
  }
}

variable "password_secret_arn" {
  type        = string
  description = "The ARN of the Secrets Manager secret holding the basic auth password."
  default     = ""

  validation {
    condition     = var.password_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.password_secret_arn))
    error_message = "password_secret_arn: a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."
  }
}

variable "bearer_token" {
  type        = string
  description = "The bearer token, if the endpoint wants one (not together with username/password)."
  sensitive   = true
  default     = ""
}

variable "bearer_token_parameter_arn" {
  type        = string
  description = "The ARN of the SSM parameter holding the bearer token."
  default     = ""

  validation {
    condition     = var.bearer_token_parameter_arn == "" || can(regex("^arn:aws[a-z-]*:ssm:", var.bearer_token_parameter_arn))
    error_message = "bearer_token_parameter_arn: an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)."
  }
}

variable "bearer_token_secret_arn" {
  type        = string
  description = "The ARN of the Secrets Manager secret holding the bearer token."
  default     = ""

  validation {
    condition     = var.bearer_token_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.bearer_token_secret_arn))
    error_message = "bearer_token_secret_arn: a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."
  }
}

variable "tenant_id" {
  type        = string
  description = "Tenant ID sent as X-Scope-OrgID with every push."
  default     = ""
}

variable "skip_tls_verify" {
  type        = string
  description = "\"true\" skips the verification of Loki's TLS certificate (for testing only)."
  default     = "false"

  validation {
    condition     = can(regex("^(?i:true|false|1|0|yes|no)?$", var.skip_tls_verify))
    error_message = "skip_tls_verify: \"true\" or \"false\"."
  }
}

#-------------------------------------------------------------------------------
# What is sent
#-------------------------------------------------------------------------------

variable "keep_stream" {
  type        = string
  description = "\"true\" keeps the CloudWatch log stream as the label __aws_cloudwatch_log_stream."
  default     = "false"

  validation {
    condition     = can(regex("^(?i:true|false|1|0|yes|no)?$", var.keep_stream))
    error_message = "keep_stream: \"true\" or \"false\"."
  }
}

variable "print_log_line" {
  type        = string
  description = "\"false\" stops the function from writing each log line it forwards to its own CloudWatch log."
  default     = "true"

  validation {
    condition     = can(regex("^(?i:true|false|1|0|yes|no)?$", var.print_log_line))
    error_message = "print_log_line: \"true\" or \"false\"."
  }
}

variable "extra_labels" {
  type        = string
  description = "Extra labels for every entry, as 'name1,value1,name2,value2,...'; the names get the prefix __extra_ unless omit_extra_labels_prefix."
  default     = ""

  validation {
    condition     = var.extra_labels == "" || length(split(",", var.extra_labels)) % 2 == 0
    error_message = "extra_labels: an even number of comma-separated items, 'name1,value1,name2,value2,...'."
  }
}

variable "omit_extra_labels_prefix" {
  type        = bool
  description = "Whether to omit the prefix `__extra_` from the labels in extra_labels."
  default     = false
}

variable "drop_labels" {
  type        = string
  description = "Labels to drop from every entry, as 'name1,name2,...'."
  default     = ""
}

variable "relabel_configs" {
  type        = string
  description = "JSON array of relabel rules in Prometheus relabel_configs format, applied to every entry."
  default     = ""

  validation {
    condition     = var.relabel_configs == "" || (can(regex("^\\s*\\[", var.relabel_configs)) && can(jsondecode(var.relabel_configs)))
    error_message = "relabel_configs: a JSON array of relabel rules, e.g. [{\"source_labels\":[\"__aws_log_type\"],\"target_label\":\"log_type\"}]."
  }
}

variable "loki_stage_configs" {
  type        = string
  description = "JSON array of Loki pipeline stages (as in Promtail/Alloy) applied to every entry by the transform stage."
  default     = ""

  validation {
    condition     = var.loki_stage_configs == "" || (can(regex("^\\s*\\[", var.loki_stage_configs)) && can(jsondecode(var.loki_stage_configs)))
    error_message = "loki_stage_configs: a JSON array of pipeline stages, e.g. [{\"json\":{\"expressions\":{\"level\":\"level\"}}},{\"labels\":{\"level\":\"\"}}]."
  }
}

variable "pipeline_timeout" {
  type        = string
  description = "PIPELINE_TIMEOUT, a Go duration (e.g. 1s); empty: the transform stage's default."
  default     = ""

  validation {
    condition     = can(regex("^(([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+)?$", var.pipeline_timeout))
    error_message = "pipeline_timeout: a Go duration such as 500ms, 1s or 1m30s."
  }
}

variable "batch_size" {
  type        = string
  description = "Size of a push to Loki, bytes (k and m suffixes allowed); empty: 131072."
  default     = ""

  validation {
    condition     = can(regex("^([0-9]+[kKmM]?)?$", var.batch_size))
    error_message = "batch_size: a number of bytes, optionally with a k or m suffix, e.g. 131072 or 1m."
  }
}

#-------------------------------------------------------------------------------
# Network and encryption
#-------------------------------------------------------------------------------

variable "lambda_vpc_subnets" {
  type        = list(string)
  description = "Subnet IDs to run the function in (it must reach write_address and S3 from there)."
  default     = []
}

variable "lambda_vpc_security_groups" {
  type        = list(string)
  description = "Security group IDs of the function when it runs in lambda_vpc_subnets."
  default     = []
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts the function's environment variables (the role may decrypt with it)."
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn: a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}
