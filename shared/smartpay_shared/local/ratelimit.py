"""The local gateway's rate limit is the shared one (smartpay_shared.ratelimit); kept for old imports."""

from smartpay_shared.ratelimit import TOKEN_BUCKET, Decision, RateLimiter, RedisTokenBucket

__all__ = ["TOKEN_BUCKET", "Decision", "RateLimiter", "RedisTokenBucket"]
