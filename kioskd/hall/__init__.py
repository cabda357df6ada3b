"""Hall staff: alerts, the daily close and reports, the staff page."""
