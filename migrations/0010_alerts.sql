-- Alerts (src/sip/alerts.c): each opens once and resolves once; the
-- channels' delivery attempts are kept with it.  Organisations get a
-- webhook signing secret and where their e-mail and SMS alerts go.
ALTER TABLE orgs ADD COLUMN webhook_secret text NOT NULL
	DEFAULT encode(sha256((random()::text || clock_timestamp()::text)::bytea), 'hex');
ALTER TABLE orgs ADD COLUMN alert_email text;
ALTER TABLE orgs ADD COLUMN alert_phone text;

CREATE TABLE alerts (
	id uuid PRIMARY KEY,
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	phone_number text NOT NULL,
	direction text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('unreachable', 'failure_rate', 'response_time')),
	opened_at timestamptz NOT NULL,
	resolved_at timestamptz,
	details jsonb NOT NULL DEFAULT '{}',
	deliveries jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX alerts_org ON alerts (org_id, opened_at DESC);
CREATE UNIQUE INDEX alerts_open ON alerts (org_id, phone_number, direction, kind)
	WHERE resolved_at IS NULL;

-- the failure-rate alert counts a number's recent calls
CREATE INDEX calls_number_started ON calls (number, direction, started_at DESC);
