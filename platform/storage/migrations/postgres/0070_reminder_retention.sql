-- The retention sweep (reminders.retention) deletes occurrences that are over, oldest first: an index
-- on their due time keeps each batch a short range scan instead of a walk over every patient.
CREATE INDEX IF NOT EXISTS reminders_occurrences_over_idx ON reminders.occurrences (deployment, due_at) WHERE state IN ('dispatched', 'cancelled');
