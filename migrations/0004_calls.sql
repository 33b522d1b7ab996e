-- One row per call, written when the call ends (src/sip/calls.c).
CREATE TABLE calls (
	id uuid PRIMARY KEY,
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	number text NOT NULL,
	direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
	from_uri text NOT NULL,
	to_uri text NOT NULL,
	sip_call_id text NOT NULL,
	transport text NOT NULL,
	status text NOT NULL,
	sip_code integer,
	reason text,
	started_at timestamptz NOT NULL,
	answered_at timestamptz,
	ended_at timestamptz NOT NULL,
	duration_ms bigint NOT NULL DEFAULT 0,
	codec text,
	srtp boolean NOT NULL DEFAULT false,
	stats jsonb NOT NULL DEFAULT '{}',
	dtmf text NOT NULL DEFAULT ''
);
CREATE INDEX calls_org_started ON calls (org_id, started_at DESC);
