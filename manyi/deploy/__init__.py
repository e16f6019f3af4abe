"""Deployment to AWS: the Lambda artifact, the site upload and the CloudFormation stack."""
