# one entry per comma-separated part of the line; ts stays a string
. as $e | ($e.line | split(",")) | to_entries[]
| $e + {line: .value, labels: ($e.labels + {part: (.key | tostring)})}
