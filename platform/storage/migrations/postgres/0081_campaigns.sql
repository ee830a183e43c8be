-- Campaigns: a programme (a published workflow) for a cohort over a period, shared with partners.
-- Pseudonymous patient ids only; no free text about patients.
CREATE SCHEMA IF NOT EXISTS campaigns;

CREATE TABLE campaigns.partners (
  organization_id  text NOT NULL REFERENCES organizations(id),
  id               text NOT NULL,
  display_name     text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id)
);

CREATE TABLE campaigns.campaigns (
  organization_id  text NOT NULL REFERENCES organizations(id),
  id               text NOT NULL,
  name             text NOT NULL,
  purpose          text NOT NULL,
  workflow_id      text NOT NULL,
  cohort_segment   text,
  cohort_medication_class text,
  period_from      date NOT NULL,
  period_to        date NOT NULL CHECK (period_to >= period_from),
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id)
);
CREATE INDEX campaigns_period_idx ON campaigns.campaigns (period_from, period_to);

CREATE TABLE campaigns.campaign_partners (
  organization_id  text NOT NULL,
  campaign_id      text NOT NULL,
  partner_id       text NOT NULL,
  PRIMARY KEY (organization_id, campaign_id, partner_id),
  FOREIGN KEY (organization_id, campaign_id) REFERENCES campaigns.campaigns (organization_id, id),
  FOREIGN KEY (organization_id, partner_id) REFERENCES campaigns.partners (organization_id, id)
);
CREATE INDEX campaign_partners_partner_idx ON campaigns.campaign_partners (organization_id, partner_id);

-- Consent per patient and purpose (a programme's purpose), apart from the channels' consent.
CREATE TABLE campaigns.consents (
  organization_id  text NOT NULL REFERENCES organizations(id),
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  purpose          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('given', 'withdrawn')),
  at               timestamptz NOT NULL,
  source           text NOT NULL CHECK (source IN ('api', 'portal', 'paper', 'phone', 'chat')),
  PRIMARY KEY (organization_id, patient_id, purpose)
);
CREATE INDEX campaigns_consents_purpose_idx ON campaigns.consents (organization_id, purpose) WHERE status = 'given';

-- Every change, kept: the consent's history (who recorded it is in the audit log).
CREATE TABLE campaigns.consent_events (
  id               bigserial PRIMARY KEY,
  organization_id  text NOT NULL,
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  purpose          text NOT NULL,
  status           text NOT NULL,
  at               timestamptz NOT NULL,
  source           text NOT NULL
);
CREATE INDEX campaigns_consent_events_patient_idx ON campaigns.consent_events (organization_id, patient_id);

-- The programme's start sent to a patient: once per campaign and patient (the primary key).
CREATE TABLE campaigns.sends (
  organization_id  text NOT NULL,
  campaign_id      text NOT NULL,
  patient_id       text NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  signal_id        text NOT NULL,
  sent_at          timestamptz NOT NULL,
  PRIMARY KEY (organization_id, campaign_id, patient_id),
  FOREIGN KEY (organization_id, campaign_id) REFERENCES campaigns.campaigns (organization_id, id)
);
