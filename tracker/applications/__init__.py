"""Applications (依申请公开): registration, the legal clock, fees, replies, statistics."""
