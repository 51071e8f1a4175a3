-- A participant confirmed by e-mail: one address confirms one participant
-- per consultation. Erasure and retention clear the address and keep the
-- confirmation's date, so the rows they leave (email NULL) never collide.
CREATE UNIQUE INDEX consultation_participants_confirmed
    ON consultation_participants (consultation_id, email)
    WHERE email_confirmed_at IS NOT NULL;
