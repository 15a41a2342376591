"""The system under test and its local stack: the Triggers API and the AWS backends it runs on.

- :mod:`emulator.app`: the Triggers API handlers (AWS Lambda entry point and ASGI app).
- :mod:`emulator.stack`: local AWS backends (embedded default or LocalStack), provisioning,
  the delivery worker's process and the audit of a run.
"""
