-- The provider's payment object, once an event names it, where it can differ
-- from the checkout object in provider_ref: a Stripe Checkout Session
-- (provider_ref cs_...) creates its PaymentIntent only when the customer pays,
-- and refunds and disputes name that PaymentIntent, never the session. The
-- session stays the payment's reference (and its ledger key); this column is
-- how later events about the PaymentIntent find the payment.
ALTER TABLE payments ADD COLUMN provider_payment_ref text;
CREATE UNIQUE INDEX payments_provider_payment_ref_idx ON payments (provider, provider_payment_ref) WHERE provider_payment_ref IS NOT NULL;
