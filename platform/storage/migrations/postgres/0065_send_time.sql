-- Send-time optimisation per organisation (platform/personalisation/reminder-times.ts): JSON
-- {"enabled": true, "doseMinutesBefore": 60, "doseMinutesAfter": 120, "refillFirstHour": 9, "refillLastHour": 19};
-- NULL (the default) or "enabled" not true: reminders keep their planned times.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS send_time jsonb;
