"""The public base of short links, and every other name the stack answers on, as SSM
parameters the functions read at run time.

Parameters, not environment values: the base is the distribution's domain, the distribution
depends on the API and the API on its functions, so no function can be given the domain
itself. The functions get the parameters' fixed *names* instead and read the values lazily.
The other names (the distribution's domain behind a custom short domain, the API's address on
a local stack) are what the API refuses as link targets: a link there would loop.
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
        self.own_origins_parameter_name = config.own_origins_parameter_name
        # Built from the literal name, not from the parameter, so granting creates no cycle.
        self.parameter_arn = self._arn(self.parameter_name)
        self.own_origins_parameter_arn = self._arn(self.own_origins_parameter_name)

    def _arn(self, parameter_name: str) -> str:
        return Stack.of(self).format_arn(
            service="ssm",
            resource="parameter",
            resource_name=parameter_name.lstrip("/"),
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_read(self, function: ShortenerFunction) -> None:
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.parameter_arn])
        )

    def grant_read_own_origins(self, function: ShortenerFunction) -> None:
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParameter"], resources=[self.own_origins_parameter_arn]
            )
        )

    def publish_own_origins(self, origins: list[str]) -> ssm.StringListParameter:
        """The stack's names besides the short base URL, as URLs (`https://d123.cloudfront.net`)."""
        parameter = ssm.StringListParameter(
            self,
            "OwnOrigins",
            parameter_name=self.own_origins_parameter_name,
            string_list_value=origins,
            description="Names the stack answers on, no link target (OWN_ORIGINS_PARAMETER)",
        )
        pin_logical_id(parameter, "OwnOriginsParameter")
        return parameter

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
