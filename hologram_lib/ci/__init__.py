"""What a CI run shows besides the report: the job summary, the badge, Slack / Teams, and the step that makes them."""
