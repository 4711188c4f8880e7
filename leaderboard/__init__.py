"""leaderboard: fixed evaluation protocols per suite and the public results table."""
