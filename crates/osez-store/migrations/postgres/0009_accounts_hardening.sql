-- Sign-in entries of the audit log named the client's raw IP address; they
-- now name a keyed hash of it. Past addresses cannot be hashed in SQL (the
-- key is derived in the web layer), so they are erased.
UPDATE audit_log SET target = '(adresse effacée)' WHERE action LIKE 'connexion.%';

-- A failed sign-in recorded whatever was typed in the e-mail field, a
-- password typed there included. Keep only what looks like an address.
UPDATE audit_log SET actor = '(adresse non valide)'
WHERE action IN ('connexion.echec', 'connexion.bloquee')
  AND (actor NOT LIKE '%_@_%._%' OR LENGTH(actor) > 254 OR actor LIKE '% %');

-- Reset links are counted per account (at most a few an hour) and all
-- spent together.
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
