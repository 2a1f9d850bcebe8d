"""Champion/challenger evaluation on logged traffic: metrics with session-bootstrap
intervals, hard gates, the oracle replay, and the promotion decision."""
