"""Repositories over DynamoDB tables and S3 buckets (typed with pydantic).

Base: `dynamo.TableRepository`, `blobs.BlobStore`, `jsonl.JsonlWriter`. Per resource:
`catalogue`, `users`, `interactions`, `daily_metrics` (and `conversations`, `feedback`).
Modules import boto3 lazily through `nabiyam.aws`, so importing them costs little.
"""
