"""Runtime pieces every service uses: bus publisher, queue consumer, local SQS worker."""
