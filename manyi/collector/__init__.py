"""The collector: the HTTP API that checks and stores submissions, in Lambda and `manyi serve`."""
