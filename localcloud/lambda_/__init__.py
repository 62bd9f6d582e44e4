"""AWS Lambda, emulated: each function of the template in worker processes of its own
(`functions`, `workers`, `_runtime`), and the event source mappings that poll for it
(`sqs_event_sources`; a Kinesis one would stand beside it).

https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
"""
