# A sample of what lambda-promtail users pass (tests/deploy/terraform.t
# renders the function's environment from it and runs every stage's
# --check with that environment).
write_address            = "https://logs-prod-us-central1.grafana.net/loki/api/v1/push"
username                 = "123456"
password                 = "glc_example_token"
lambda_promtail_image    = "123456789012.dkr.ecr.us-east-2.amazonaws.com/lokipipe:0.1.0"
log_group_names          = ["/aws/lambda/api", "/aws/ecs/web"]
bucket_names             = ["example-alb-logs"]
kinesis_stream_name      = ["cloudfront-realtime"]
tenant_id                = "team-a"
keep_stream              = "true"
extra_labels             = "env,prod,team,payments"
omit_extra_labels_prefix = true
drop_labels              = "__aws_cloudwatch_owner"
relabel_configs          = "[{\"source_labels\":[\"__aws_log_type\"],\"target_label\":\"log_type\",\"action\":\"replace\"}]"
batch_size               = "131072"
sqs_enabled              = true
loki_stage_configs       = "[{\"json\":{\"expressions\":{\"level\":\"level\"}}},{\"labels\":{\"level\":\"\"}}]"
pipeline_timeout         = "1s"
