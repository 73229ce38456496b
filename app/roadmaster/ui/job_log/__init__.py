"""The job log browser: a table model paged from SQL, its view and the job detail."""
