-- Organisations, their API keys (only a SHA-256 hash is stored) and
-- entitlements such as 'sip'.
CREATE TABLE orgs (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	prefix text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE entitlements (
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	name text NOT NULL,
	enabled boolean NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, name)
);
