"""The public base of short links, as an SSM parameter the functions read at run time.

A parameter, not an environment value: the base is the distribution's domain, the distribution
depends on the API and the API on its functions, so no function can be given the domain
itself. The functions get the parameter's fixed *name* instead and read the value lazily.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import StageConfig
from infra.functions import ShortenerFunction
from infra.logical_ids import pin_logical_id


class ShortBaseUrl(Construct):
    """Knows the parameter's name from the start; `publish` creates it once the value exists."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.parameter_name = config.short_base_url_parameter_name
        # Built from the literal name, not from the parameter, so granting creates no cycle.
        self.parameter_arn = Stack.of(self).format_arn(
            service="ssm",
            resource="parameter",
            resource_name=self.parameter_name.lstrip("/"),
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_read(self, function: ShortenerFunction) -> None:
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.parameter_arn])
        )

    def publish(self, value: str) -> ssm.StringParameter:
        parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=self.parameter_name,
            string_value=value,
            description="Public base URL of short links (SHORT_BASE_URL_PARAMETER)",
        )
        pin_logical_id(parameter, "ShortBaseUrlParameter")
        return parameter
