"""CloudWatch alarms and a dashboard from a scenario's thresholds and the story's alert levels,
as CloudFormation, Terraform JSON, or created with boto3.

from scaling_lab.alarms import monitoring_plan, cloudformation, terraform_json, apply_plan
plan = monitoring_plan(scenario, system, function_name="triggers-api")
"""

from scaling_lab.alarms.plan import (
    STORY_CONCURRENCY_SHARE,
    STORY_ERROR_RATE,
    STORY_LATENCY_MS,
    Alarm,
    MonitoringPlan,
    monitoring_plan,
)
from scaling_lab.alarms.render import apply_plan, cloudformation, terraform_json

__all__ = [
    "STORY_CONCURRENCY_SHARE",
    "STORY_ERROR_RATE",
    "STORY_LATENCY_MS",
    "Alarm",
    "MonitoringPlan",
    "apply_plan",
    "cloudformation",
    "monitoring_plan",
    "terraform_json",
]
