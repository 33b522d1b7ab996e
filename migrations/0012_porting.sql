-- Number porting (src/http/api_port*.c, src/store/portnotify.c).
--
-- Every status change of a port request goes through port_transition(),
-- whoever asks (the API, a signed carrier event, `trunkd admin port
-- set-status`): it validates the move, appends the history row (which is
-- also the webhook outbox), gives the numbers to the org on completion, and
-- NOTIFYs trunkd_port_changed so that a running trunkd delivers the event.

-- Proof-of-ownership uploads; the bytes are a file in --documents-dir
CREATE TABLE port_documents (
	sid text PRIMARY KEY CHECK (sid ~ '^PD[0-9a-f]{32}$'),
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
	size bigint NOT NULL CHECK (size > 0),
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	filename text,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX port_documents_org ON port_documents (org_id);

CREATE TABLE port_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	status text NOT NULL DEFAULT 'waiting_for_signature' CHECK (status IN
		('waiting_for_signature', 'submitted', 'in_progress', 'completed', 'canceled', 'failed')),
	phone_numbers text[] NOT NULL CHECK (cardinality(phone_numbers) > 0),
	authorized_representative jsonb NOT NULL,
	service_address jsonb NOT NULL,
	target_port_date date NOT NULL,
	document_sid text NOT NULL REFERENCES port_documents(sid),
	account_number text,
	pin text,
	signer_name text,
	signature text,
	signed_at timestamptz,
	signed_from text,
	failure_reason text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX port_requests_org ON port_requests (org_id, created_at DESC);

-- The history of each request, one row per status change; delivery is the
-- webhook outbox: {status: pending|delivered|failed|undeliverable,
-- attempts: [...], reason?}
CREATE TABLE port_events (
	id bigserial PRIMARY KEY,
	port_id uuid NOT NULL REFERENCES port_requests(id) ON DELETE CASCADE,
	from_status text,
	to_status text NOT NULL,
	actor text NOT NULL,
	reason text,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	delivery jsonb NOT NULL DEFAULT '{"status": "pending", "attempts": []}'
);
CREATE INDEX port_events_port ON port_events (port_id, id);
CREATE INDEX port_events_pending ON port_events (id)
	WHERE delivery->>'status' = 'pending';

-- Numbers an organisation holds (today: ported in); attach refuses another
-- org's number
CREATE TABLE org_numbers (
	number text PRIMARY KEY,
	org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	source text NOT NULL,
	port_id uuid REFERENCES port_requests(id) ON DELETE SET NULL,
	acquired_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_numbers_org ON org_numbers (org_id);

-- Portability rules beyond the built-in ones, by longest E.164 prefix
-- ("+44" or "+4420"); managed in SQL by the operator
CREATE TABLE port_rules (
	prefix text PRIMARY KEY CHECK (prefix ~ '^\+[0-9]{1,15}$'),
	portable boolean NOT NULL,
	number_type text NOT NULL DEFAULT 'unknown' CHECK (number_type IN
		('local', 'toll_free', 'mobile', 'unknown')),
	pin_required boolean NOT NULL DEFAULT false,
	not_portable_reason text
);

-- Which moves are allowed; a terminal status has none
CREATE FUNCTION port_transition_allowed(p_from text, p_to text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT (p_from, p_to) IN (
		('waiting_for_signature', 'submitted'),
		('waiting_for_signature', 'canceled'),
		('submitted', 'in_progress'),
		('submitted', 'failed'),
		('submitted', 'canceled'),
		('in_progress', 'completed'),
		('in_progress', 'failed'),
		('in_progress', 'canceled'))
$$;

-- Move request p_id of org p_org (NULL: any org, for carriers and
-- operators) to p_to.  Errors, by SQLSTATE: TP404 no such request, TP409
-- not allowed from the current status, TP425 a cancel within 48 h of the
-- port date.  Returns the request as the API shows it (a statement that
-- called this function would still see the old row).
CREATE FUNCTION port_transition(p_id uuid, p_org uuid, p_to text,
	p_actor text, p_reason text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	r port_requests;
BEGIN
	SELECT * INTO r FROM port_requests
		WHERE id = p_id AND (p_org IS NULL OR org_id = p_org) FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no port request %', p_id USING ERRCODE = 'TP404';
	END IF;
	IF NOT port_transition_allowed(r.status, p_to) THEN
		RAISE EXCEPTION 'a port request that is % cannot become %', r.status, p_to
			USING ERRCODE = 'TP409';
	END IF;
	IF p_to = 'canceled' AND r.status <> 'waiting_for_signature'
	   AND r.target_port_date::timestamptz - now() < interval '48 hours' THEN
		RAISE EXCEPTION 'the port date % is less than 48 hours away: the carriers are committed', r.target_port_date
			USING ERRCODE = 'TP425';
	END IF;
	IF p_to = 'completed' THEN
		-- a number another org has meanwhile taken is a failed port
		IF EXISTS (SELECT 1 FROM org_numbers WHERE number = ANY (r.phone_numbers)
			   AND org_id <> r.org_id) THEN
			RAISE EXCEPTION 'a number of this request belongs to another organization'
				USING ERRCODE = 'TP409';
		END IF;
		INSERT INTO org_numbers (number, org_id, source, port_id)
			SELECT n, r.org_id, 'port', r.id FROM unnest(r.phone_numbers) n
			ON CONFLICT (number) DO NOTHING;
	END IF;
	UPDATE port_requests SET status = p_to, updated_at = now(),
		failure_reason = CASE WHEN p_to = 'failed' THEN p_reason ELSE failure_reason END
		WHERE id = p_id;
	INSERT INTO port_events (port_id, from_status, to_status, actor, reason)
		VALUES (p_id, r.status, p_to, p_actor, p_reason);
	PERFORM pg_notify('trunkd_port_changed', p_id::text);
	SELECT * INTO r FROM port_requests WHERE id = p_id;
	RETURN port_json(r, true);
END
$$;

-- A new request's first history row (and webhook event)
CREATE FUNCTION port_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO port_events (port_id, from_status, to_status, actor)
		VALUES (NEW.id, NULL, NEW.status, 'api');
	PERFORM pg_notify('trunkd_port_changed', NEW.id::text);
	RETURN NULL;
END
$$;
CREATE TRIGGER port_requests_created AFTER INSERT ON port_requests
	FOR EACH ROW EXECUTE FUNCTION port_created();

-- Organisations may give one webhook URL for events that belong to no
-- number (port status changes)
ALTER TABLE orgs ADD COLUMN webhook_url text;

-- Signing: who, when, from where; then submitted (port_transition's checks)
CREATE FUNCTION port_sign(p_id uuid, p_org uuid, p_name text,
	p_signature text, p_from text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
	r port_requests;
BEGIN
	PERFORM port_transition(p_id, p_org, 'submitted', 'signer: ' || p_name, NULL);
	UPDATE port_requests SET signer_name = p_name, signature = p_signature,
		signed_at = now(), signed_from = p_from WHERE id = p_id
		RETURNING * INTO r;
	RETURN port_json(r, true);
END
$$;

-- A request as the API shows it (with its history when asked)
CREATE FUNCTION port_json(r port_requests, p_history boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', r.id, 'status', r.status,
		'phone_numbers', r.phone_numbers,
		'authorized_representative', r.authorized_representative,
		'service_address', r.service_address,
		'target_port_date', r.target_port_date,
		'document_sid', r.document_sid,
		'account_number', r.account_number,
		'pin_provided', r.pin IS NOT NULL,
		'loa_url', '/v1/sip/port/' || r.id || '/loa',
		'signature', CASE WHEN r.signed_at IS NOT NULL THEN
			json_build_object('signer_name', r.signer_name,
				'signed_at', sip_ts(r.signed_at),
				'source_address', r.signed_from) END,
		'failure_reason', r.failure_reason,
		'created_at', sip_ts(r.created_at),
		'updated_at', sip_ts(r.updated_at),
		'history', CASE WHEN p_history THEN (SELECT json_agg(
			json_build_object('from', e.from_status, 'to', e.to_status,
				'at', sip_ts(e.at), 'actor', e.actor,
				'reason', e.reason, 'webhook', e.delivery)
			ORDER BY e.id) FROM port_events e WHERE e.port_id = r.id) END)
$$;

-- A number an organisation holds cannot be attached by another one
CREATE FUNCTION sip_configs_owner_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM org_numbers WHERE number = NEW.number
			AND org_id <> NEW.org_id) THEN
		RAISE EXCEPTION 'number % belongs to another organization', NEW.number
			USING ERRCODE = 'P0001', HINT = 'NUMBER_OWNED';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER sip_configs_owner BEFORE INSERT ON sip_configs
	FOR EACH ROW EXECUTE FUNCTION sip_configs_owner_check();
