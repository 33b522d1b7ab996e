-- SIP configuration of a number, one row per direction.  A number belongs to
-- one organisation at a time.  Secrets (sip_password, register password) are
-- stored encrypted by trunkd (AES-256-GCM, key from --server-secret), never
-- in options.
CREATE TABLE sip_configs (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	number text NOT NULL,
	direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
	trunk_id text,
	sip_endpoint text,
	headers jsonb,
	options jsonb NOT NULL DEFAULT '{}',
	secret text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (number, direction)
);
CREATE INDEX sip_configs_org_number ON sip_configs (org_id, number);

-- Attach every direction of one number atomically: either all are written
-- or none (a number held by another organisation raises NUMBER_IN_USE).
-- dirs: [{"direction", "sip_endpoint", "headers", "options", "secret"}]
CREATE FUNCTION sip_attach(p_org uuid, p_number text, p_trunk text,
			   p_dirs jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
	n integer;
BEGIN
	FOR d IN SELECT * FROM jsonb_array_elements(p_dirs) LOOP
		INSERT INTO sip_configs AS c (org_id, number, direction,
			trunk_id, sip_endpoint, headers, options, secret)
		VALUES (p_org, p_number, d->>'direction', p_trunk,
			d->>'sip_endpoint', d->'headers',
			coalesce(d->'options', '{}'), d->>'secret')
		ON CONFLICT (number, direction) DO UPDATE SET
			trunk_id = excluded.trunk_id,
			sip_endpoint = excluded.sip_endpoint,
			headers = excluded.headers,
			options = excluded.options,
			secret = excluded.secret,
			updated_at = now()
		WHERE c.org_id = excluded.org_id;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			RAISE EXCEPTION 'number % is attached by another organization', p_number
				USING ERRCODE = 'P0001', HINT = 'NUMBER_IN_USE';
		END IF;
	END LOOP;
	PERFORM pg_notify('trunkd_sip_changed', p_number);
END $$;
