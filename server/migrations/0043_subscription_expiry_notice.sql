-- The period whose "ending soon" notice the fan was sent (subscription_expiring, issue #14): the renewal job
-- notifies once per period, however often it runs and on however many nodes. NULL: never noticed.
ALTER TABLE subscriptions ADD COLUMN expiry_noticed_period integer;
