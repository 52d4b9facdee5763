"""Jobs over many users: started by an admin, run a batch at a time by the job runner."""
