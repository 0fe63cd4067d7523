-- Harvest requests (PostgreSQL): `run_requested` is when someone asked for a run "now" (from
-- the staff pages, where the web process cannot fetch from other sites itself). The scheduler
-- of the server process treats such a source as due at its next tick, whether the source is
-- paused or its schedule not yet due; the run that starts clears the requests made before it.
-- Same column as the SQLite file; COLLATE "C" as it is compared as text.
ALTER TABLE harvest_sources ADD COLUMN run_requested TEXT COLLATE "C";
