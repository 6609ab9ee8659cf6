"""Insight (issue 16): why ratings are bad, common problems handled once (共性问题, 双归零),
rating-integrity flags and supervision records. Below analytics (the 通报 reads these), above the
domain apps whose rows it analyses."""
