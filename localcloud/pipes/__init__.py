"""Amazon EventBridge Pipes, emulated: a pipe polls its source, filters, enriches and sends to
its target (`pipe`), with the input transformer's templates (`input_templates`).

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes.html
"""
