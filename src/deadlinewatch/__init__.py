"""deadlinewatch: alerts on the deadlines of public commitments."""
