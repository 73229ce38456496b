"""Career analytics: charts over the job log."""
