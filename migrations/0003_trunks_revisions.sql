-- Trunks, advanced per-direction configuration, and revisions.
--
-- trunkd keeps every number's configuration in memory (src/store/sipmap.c).
-- Every write goes through one of the functions below: each bumps the
-- number's revision first (sip_touch takes the row lock, so writers to one
-- number are serialised and revisions grow in commit order), NOTIFYs
-- trunkd_sip_changed (or trunkd_trunks_changed), and returns the new state,
-- so the writer's own map is current before it replies and every other
-- process converges on the highest revision it has seen.

CREATE SEQUENCE sip_rev;

-- inbound_id: the number's stable numeric id (GET /v1/sip?inbound_id=)
CREATE TABLE sip_numbers (
	number text PRIMARY KEY,
	rev bigint NOT NULL,
	inbound_id bigserial UNIQUE
);
INSERT INTO sip_numbers (number, rev)
	SELECT number, nextval('sip_rev')
	FROM (SELECT DISTINCT number FROM sip_configs) n;

-- A reusable outbound endpoint with its options and credentials.
CREATE TABLE sip_trunks (
	id text PRIMARY KEY
		DEFAULT 'trk_' || replace(gen_random_uuid()::text, '-', ''),
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	name text NOT NULL,
	sip_endpoint text,
	options jsonb NOT NULL DEFAULT '{}',
	secret text,
	rev bigint NOT NULL DEFAULT nextval('sip_rev'),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sip_trunks_org ON sip_trunks (org_id, id);

UPDATE sip_configs SET trunk_id = NULL
	WHERE trunk_id IS NOT NULL
	AND trunk_id NOT IN (SELECT id FROM sip_trunks);
ALTER TABLE sip_configs
	ADD CONSTRAINT sip_configs_trunk FOREIGN KEY (trunk_id)
		REFERENCES sip_trunks(id),
	-- json, not jsonb: shown back in the order the API wrote them
	ADD COLUMN failover_config json,
	ADD COLUMN codec_config json,
	ADD COLUMN alert_config json;
CREATE INDEX sip_configs_trunk_id ON sip_configs (trunk_id)
	WHERE trunk_id IS NOT NULL;

CREATE FUNCTION sip_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- The whole state of one number: {number, rev, inbound_id, rows: [...]}.
-- Rows carry the sealed secret for trunkd's own use; the API never shows
-- it.  plpgsql, not sql: its plan is cached per session (an SQL function
-- that cannot be inlined is planned on every call, 2.5x slower here).
CREATE FUNCTION sip_state(p_number text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT json_build_object('number', n.number, 'rev', n.rev,
		'inbound_id', n.inbound_id, 'rows',
		coalesce((SELECT json_agg(json_build_object(
			'number', c.number, 'id', c.id, 'org_id', c.org_id,
			'direction', c.direction,
			'sip_endpoint', c.sip_endpoint,
			'created_at', sip_ts(c.created_at),
			'updated_at', sip_ts(c.updated_at),
			'headers', c.headers, 'options', c.options,
			'trunk_id', c.trunk_id,
			'failover_config', c.failover_config,
			'codec_config', c.codec_config,
			'alert_config', c.alert_config,
			'secret', c.secret) ORDER BY c.direction)
		FROM sip_configs c WHERE c.number = n.number), '[]'::json))
	FROM sip_numbers n WHERE n.number = p_number);
END $$;

-- A trunk row as trunkd holds it (writes return it with RETURNING)
CREATE FUNCTION sip_trunk_json(t sip_trunks) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', t.id, 'org_id', t.org_id,
		'name', t.name, 'sip_endpoint', t.sip_endpoint,
		'options', t.options, 'created_at', sip_ts(t.created_at),
		'updated_at', sip_ts(t.updated_at), 'rev', t.rev,
		'secret', t.secret)
$$;

CREATE FUNCTION sip_trunk_state(p_id text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (SELECT sip_trunk_json(t) FROM sip_trunks t WHERE t.id = p_id);
END $$;

-- Lock the number and give it a new revision; first thing every writer
-- does.  The change is announced as "rev number", so a process that already
-- holds that revision skips the reload.
CREATE FUNCTION sip_touch(p_number text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	r bigint;
BEGIN
	INSERT INTO sip_numbers AS s (number, rev)
	VALUES (p_number, nextval('sip_rev'))
	ON CONFLICT (number) DO UPDATE SET rev = nextval('sip_rev')
	RETURNING rev INTO r;
	PERFORM pg_notify('trunkd_sip_changed', r || ' ' || p_number);
END $$;

-- "Up to 10 SIP configurations per phone number": each direction is one,
-- and so is each failover endpoint configured on it.
CREATE FUNCTION sip_check_limit(p_number text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	SELECT count(*) + coalesce(sum(json_array_length(coalesce(
		failover_config->'endpoints', '[]'))), 0)
	INTO n FROM sip_configs WHERE number = p_number;
	IF n > 10 THEN
		RAISE EXCEPTION '% would have % SIP configurations (at most 10)',
			p_number, n
			USING ERRCODE = 'P0001', HINT = 'TOO_MANY_CONFIGURATIONS';
	END IF;
END $$;

DROP FUNCTION sip_attach(uuid, text, text, jsonb);
-- Attach every direction of one number atomically: either all are written
-- or none.  Raises NUMBER_IN_USE (another org holds it), TRUNK_NOT_FOUND,
-- TOO_MANY_CONFIGURATIONS.  dirs: [{"direction", "sip_endpoint",
-- "headers", "options", "secret"}]
CREATE FUNCTION sip_attach(p_org uuid, p_number text, p_trunk text,
			   p_dirs jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
	n integer;
BEGIN
	PERFORM sip_touch(p_number);
	IF p_trunk IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sip_trunks
			WHERE id = p_trunk AND org_id = p_org) THEN
		RAISE EXCEPTION 'no trunk %', p_trunk
			USING ERRCODE = 'P0001', HINT = 'TRUNK_NOT_FOUND';
	END IF;
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
	PERFORM sip_check_limit(p_number);
	RETURN sip_state(p_number);
END $$;

-- Fields given replace the stored ones, options are merged key by key
-- (auth_mode ip drops register_username).  NULL if this org never attached
-- that direction.
CREATE FUNCTION sip_update(p_org uuid, p_number text, p_dir text,
			   p_endpoint text, p_headers jsonb, p_opts jsonb,
			   p_secret text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM sip_configs WHERE org_id = p_org
			AND number = p_number AND direction = p_dir) THEN
		RETURN NULL;
	END IF;
	PERFORM sip_touch(p_number);
	UPDATE sip_configs SET
		sip_endpoint = coalesce(p_endpoint, sip_endpoint),
		headers = coalesce(p_headers, headers),
		options = (options || p_opts) - CASE WHEN
			p_opts->>'auth_mode' = 'ip' THEN 'register_username'
			ELSE '' END,
		secret = coalesce(p_secret, secret),
		updated_at = now()
	WHERE org_id = p_org AND number = p_number AND direction = p_dir;
	RETURN sip_state(p_number);
END $$;

-- Advanced configuration (PATCH /v1/sip/config): each object given replaces
-- the stored one; JSON null removes it.  p_set names the objects given.
CREATE FUNCTION sip_set_config(p_org uuid, p_number text, p_dir text,
			       p_set text[], p_failover json, p_codec json,
			       p_alert json) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM sip_configs WHERE org_id = p_org
			AND number = p_number AND direction = p_dir) THEN
		RETURN NULL;
	END IF;
	PERFORM sip_touch(p_number);
	UPDATE sip_configs SET
		failover_config = CASE WHEN 'failover_config' = ANY(p_set)
			THEN p_failover ELSE failover_config END,
		codec_config = CASE WHEN 'codec_config' = ANY(p_set)
			THEN p_codec ELSE codec_config END,
		alert_config = CASE WHEN 'alert_config' = ANY(p_set)
			THEN p_alert ELSE alert_config END,
		updated_at = now()
	WHERE org_id = p_org AND number = p_number AND direction = p_dir;
	PERFORM sip_check_limit(p_number);
	RETURN sip_state(p_number);
END $$;

-- {detached: [directions], state}; detached is empty if nothing matched.
CREATE FUNCTION sip_detach(p_org uuid, p_number text, p_dirs text[])
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	gone json;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM sip_configs WHERE org_id = p_org
			AND number = p_number AND direction = ANY(p_dirs)) THEN
		RETURN json_build_object('detached', '[]'::json);
	END IF;
	PERFORM sip_touch(p_number);
	WITH d AS (DELETE FROM sip_configs WHERE org_id = p_org
			AND number = p_number AND direction = ANY(p_dirs)
			RETURNING direction)
	SELECT json_agg(direction ORDER BY direction) INTO gone FROM d;
	RETURN json_build_object('detached', coalesce(gone, '[]'::json),
				 'state', sip_state(p_number));
END $$;

-- Every trunk change is announced as "rev id" ("0 id" once deleted: it is
-- dropped from memory for good, ids are never reused).  Updates must set
-- rev = nextval('sip_rev').
CREATE FUNCTION sip_trunk_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('trunkd_trunks_changed', CASE TG_OP
		WHEN 'DELETE' THEN '0 ' || OLD.id
		ELSE NEW.rev || ' ' || NEW.id END);
	RETURN NULL;
END $$;
CREATE TRIGGER sip_trunks_notify AFTER INSERT OR UPDATE OR DELETE
	ON sip_trunks FOR EACH ROW EXECUTE FUNCTION sip_trunk_notify();
