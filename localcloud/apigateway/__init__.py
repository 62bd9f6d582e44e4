"""API Gateway REST, emulated from the template: model, proxy events, authorizers, server."""

from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.model import RestApiModel, rest_api_models
from localcloud.apigateway.server import ApiServer

__all__ = ["ApiGateway", "ApiServer", "RestApiModel", "rest_api_models"]
