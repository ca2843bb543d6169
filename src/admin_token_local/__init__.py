"""Run the Admin Token API's Lambda handlers on this machine, without AWS or Docker."""
