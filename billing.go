package clerkwebhook

// Billing payloads (subscription.*, subscriptionItem.*, paymentAttempt.*).
// Clerk labels Billing as beta, and its JS SDK types and its event catalog
// describe different shapes for some objects. Where they differ, the structs
// here hold the union: a field only one source has is a pointer with
// omitempty, and its comment names the source ("JS SDK" or "catalog").
// Money is in the currency's minor units (cents for USD).

// Subscription is the data of subscription.created, .updated, .active and
// .pastDue.
type Subscription struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "commerce_subscription"
	// Status is one of "active", "past_due", "canceled", "ended",
	// "abandoned", "incomplete", "upcoming", "expired" (an open set).
	Status string `json:"status"`
	// ActiveAt, CanceledAt, EndedAt and PastDueAt are optional and may be
	// null.
	ActiveAt   *UnixMillis `json:"active_at,omitempty"`
	CanceledAt *UnixMillis `json:"canceled_at,omitempty"`
	EndedAt    *UnixMillis `json:"ended_at,omitempty"`
	PastDueAt  *UnixMillis `json:"past_due_at,omitempty"`
	CreatedAt  UnixMillis  `json:"created_at"`
	UpdatedAt  UnixMillis  `json:"updated_at"`
	// LatestPaymentID may be null (before the first payment).
	LatestPaymentID *string `json:"latest_payment_id"`
	PayerID         string  `json:"payer_id"`
	Payer           Payer   `json:"payer"`
	// PaymentSourceID may be null (free plans).
	PaymentSourceID *string `json:"payment_source_id"`
	// Items are the subscription's items; nested items have no payer and a
	// null subscription_id.
	Items []SubscriptionItem `json:"items"`
}

// SubscriptionItem is the data of subscriptionItem.* events and an element of
// Subscription.Items and PaymentAttempt.SubscriptionItems.
//
// Two shapes are in use. The JS SDK shape (also the catalog's paymentAttempt
// example) has PlanPeriod, Credit, ProrationDate, LifetimePaid,
// NextPaymentAmount, NextPaymentDate, Amount, CanceledAt and PastDueAt. The
// catalog shape (standalone item events, subscription items) has Interval,
// IsFreeTrial, Seats, SubscriptionID, CreatedAt and UpdatedAt. Only the fields
// both share are plain values.
type SubscriptionItem struct {
	ID string `json:"id"`
	// Object is "commerce_subscription_item", or "subscription_item" in the
	// catalog's standalone-event examples.
	Object string `json:"object"`
	// Status is one of "active", "upcoming", "incomplete", "past_due",
	// "canceled", "ended", "abandoned", "expired" (an open set).
	Status      string     `json:"status"`
	PeriodStart UnixMillis `json:"period_start"`
	// PeriodEnd is null for default-plan items.
	PeriodEnd *UnixMillis `json:"period_end"`
	// PlanID and Plan are optional (JS SDK) and may be null.
	PlanID *string `json:"plan_id,omitempty"`
	Plan   *Plan   `json:"plan,omitempty"`
	// Payer is null or absent when the item is nested in a subscription.
	Payer *Payer `json:"payer,omitempty"`

	// PlanPeriod is "month" or "annual"; JS SDK shape.
	PlanPeriod *string `json:"plan_period,omitempty"`
	// Credit is the proration credit; JS SDK shape.
	Credit *SubscriptionItemCredit `json:"credit,omitempty"`
	// ProrationDate is a date string such as "2025-11-28", not a
	// timestamp; JS SDK shape.
	ProrationDate *string `json:"proration_date,omitempty"`
	// LifetimePaid is in minor units; JS SDK shape.
	LifetimePaid *int64 `json:"lifetime_paid,omitempty"`
	// NextPaymentAmount is in minor units; JS SDK shape.
	NextPaymentAmount *int64 `json:"next_payment_amount,omitempty"`
	// NextPaymentDate is a timestamp; JS SDK shape.
	NextPaymentDate *UnixMillis `json:"next_payment_date,omitempty"`
	// Amount is the item's price; JS SDK shape.
	Amount *MoneyAmount `json:"amount,omitempty"`
	// CanceledAt and PastDueAt may be null; JS SDK shape.
	CanceledAt *UnixMillis `json:"canceled_at,omitempty"`
	PastDueAt  *UnixMillis `json:"past_due_at,omitempty"`

	// Interval is "month" or "annual" (a string, unlike Plan.Interval);
	// catalog shape.
	Interval *string `json:"interval,omitempty"`
	// IsFreeTrial is true on subscriptionItem.active when a trial starts;
	// catalog shape.
	IsFreeTrial *bool `json:"is_free_trial,omitempty"`
	// Seats is optional; catalog shape.
	Seats *Seats `json:"seats,omitempty"`
	// SubscriptionID is null when the item is nested in a subscription;
	// catalog shape.
	SubscriptionID *string `json:"subscription_id,omitempty"`
	// CreatedAt and UpdatedAt are in the catalog shape only.
	CreatedAt *UnixMillis `json:"created_at,omitempty"`
	UpdatedAt *UnixMillis `json:"updated_at,omitempty"`
}

// SubscriptionItemCredit is the credit applied to a subscription item when
// it replaces one mid-cycle.
type SubscriptionItemCredit struct {
	Amount             MoneyAmount `json:"amount"`
	CycleDaysRemaining int         `json:"cycle_days_remaining"`
	CycleDaysTotal     int         `json:"cycle_days_total"`
	// CycleRemainingPercent is a fraction of the cycle, such as 0.5.
	CycleRemainingPercent float64 `json:"cycle_remaining_percent"`
}

// Seats is the seat count of a subscription item.
type Seats struct {
	// Quantity is null for unlimited seats.
	Quantity *int `json:"quantity"`
}

// Plan is the plan of a subscription item: the union of the JS SDK shape
// (InstanceID through IsProrated) and the catalog shape (UnitPrices).
type Plan struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	// IsRecurring is false for free plans.
	IsRecurring bool `json:"is_recurring"`
	// Amount is the price per period in minor units.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`

	// InstanceID is in the JS SDK shape only.
	InstanceID *string `json:"instance_id,omitempty"`
	// ProductID is in the JS SDK shape only.
	ProductID *string `json:"product_id,omitempty"`
	// Description is optional; JS SDK shape.
	Description *string `json:"description,omitempty"`
	// IsDefault is in the JS SDK shape only.
	IsDefault *bool `json:"is_default,omitempty"`
	// Period is "month" or "annual"; JS SDK shape.
	Period *string `json:"period,omitempty"`
	// Interval is a number of periods (an integer, unlike
	// SubscriptionItem.Interval); JS SDK shape.
	Interval *int `json:"interval,omitempty"`
	// HasBaseFee is in the JS SDK shape only.
	HasBaseFee *bool `json:"has_base_fee,omitempty"`
	// AnnualMonthlyAmount is the monthly price on annual billing, in minor
	// units; JS SDK shape.
	AnnualMonthlyAmount *int64 `json:"annual_monthly_amount,omitempty"`
	// PubliclyVisible is in the JS SDK shape only.
	PubliclyVisible *bool `json:"publicly_visible,omitempty"`
	// IsProrated is only in the catalog's paymentAttempt example.
	IsProrated *bool `json:"is_prorated,omitempty"`

	// UnitPrices are per-unit (such as per-seat) prices; optional, catalog
	// shape. An empty list encodes as absent.
	UnitPrices []PlanUnitPrice `json:"unit_prices,omitempty"`
}

// PlanUnitPrice is a tiered price for a unit of a plan, such as seats.
type PlanUnitPrice struct {
	Name      string          `json:"name"`
	BlockSize int             `json:"block_size"`
	Tiers     []PlanPriceTier `json:"tiers"`
}

// PlanPriceTier is one tier of a PlanUnitPrice.
type PlanPriceTier struct {
	StartsAtBlock int `json:"starts_at_block"`
	// EndsAfterBlock is null for an unbounded last tier.
	EndsAfterBlock *int `json:"ends_after_block"`
	// AmountPerBlock is in minor units.
	AmountPerBlock int64  `json:"amount_per_block"`
	Currency       string `json:"currency"`
}

// PaymentAttempt is the data of paymentAttempt.created and .updated.
type PaymentAttempt struct {
	ID string `json:"id"`
	// Object is "commerce_payment_attempt"; JS SDK only (the catalog
	// example has no object key).
	Object      *string `json:"object,omitempty"`
	InstanceID  string  `json:"instance_id"`
	PaymentID   string  `json:"payment_id"`
	StatementID string  `json:"statement_id"`
	// InvoiceID is deprecated; catalog only.
	InvoiceID *string `json:"invoice_id,omitempty"`
	// GatewayExternalID is the gateway's id, such as a Stripe PaymentIntent
	// "pi_...".
	GatewayExternalID string `json:"gateway_external_id"`
	// Status is "pending", "paid" or "failed" (an open set).
	Status    string     `json:"status"`
	CreatedAt UnixMillis `json:"created_at"`
	UpdatedAt UnixMillis `json:"updated_at"`
	// PaidAt, FailedAt and FailedReason are optional and may be null.
	PaidAt       *UnixMillis          `json:"paid_at,omitempty"`
	FailedAt     *UnixMillis          `json:"failed_at,omitempty"`
	FailedReason *PaymentFailedReason `json:"failed_reason,omitempty"`
	BillingDate  UnixMillis           `json:"billing_date"`
	// ChargeType is "checkout" or "recurring" (an open set).
	ChargeType        string             `json:"charge_type"`
	Payee             Payee              `json:"payee"`
	Payer             Payer              `json:"payer"`
	Totals            Totals             `json:"totals"`
	PaymentSource     PaymentSource      `json:"payment_source"`
	SubscriptionItems []SubscriptionItem `json:"subscription_items"`
}

// Payer is the user or organization that pays. The side that does not apply
// is sent as empty strings or left out.
type Payer struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "commerce_payer"
	// InstanceID is in the JS SDK shape only.
	InstanceID *string `json:"instance_id,omitempty"`
	// UserID, FirstName and LastName describe a user payer; optional.
	UserID    *string `json:"user_id,omitempty"`
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	// OrganizationID and OrganizationName describe an organization payer;
	// optional.
	OrganizationID   *string    `json:"organization_id,omitempty"`
	OrganizationName *string    `json:"organization_name,omitempty"`
	Email            string     `json:"email"`
	ImageURL         string     `json:"image_url"`
	CreatedAt        UnixMillis `json:"created_at"`
	UpdatedAt        UnixMillis `json:"updated_at"`
}

// Payee is the account that receives a payment.
type Payee struct {
	ID string `json:"id"`
	// GatewayType is the payment gateway, such as "stripe".
	GatewayType       string `json:"gateway_type"`
	GatewayExternalID string `json:"gateway_external_id"`
	// GatewayStatus is "active", "pending", "restricted" or "disconnected"
	// (an open set).
	GatewayStatus string `json:"gateway_status"`
}

// PaymentSource is the payment method charged.
type PaymentSource struct {
	ID string `json:"id"`
	// Gateway is the payment gateway, such as "stripe".
	Gateway           string `json:"gateway"`
	GatewayExternalID string `json:"gateway_external_id"`
	// GatewayExternalAccountID is optional and may be null.
	GatewayExternalAccountID *string `json:"gateway_external_account_id,omitempty"`
	// PaymentMethod is "card" or "link" (an open set).
	PaymentMethod string `json:"payment_method"`
	// Status is "active" or "disconnected" (an open set).
	Status string `json:"status"`
	// CardType and Last4 are optional and may be null.
	CardType *string `json:"card_type,omitempty"`
	Last4    *string `json:"last4,omitempty"`
}

// MoneyAmount is an amount of money as Clerk sends it.
type MoneyAmount struct {
	// Amount is in the currency's minor units, such as cents.
	Amount int64 `json:"amount"`
	// AmountFormatted is for display, such as "$20.00".
	AmountFormatted string `json:"amount_formatted"`
	// Currency is an ISO 4217 code, such as "USD".
	Currency       string `json:"currency"`
	CurrencySymbol string `json:"currency_symbol"`
}

// Totals are the totals of a payment attempt.
type Totals struct {
	Subtotal   MoneyAmount `json:"subtotal"`
	TaxTotal   MoneyAmount `json:"tax_total"`
	GrandTotal MoneyAmount `json:"grand_total"`
	// PerUnitTotals is optional; catalog only. An empty list encodes as
	// absent.
	PerUnitTotals []PerUnitTotal `json:"per_unit_totals,omitempty"`
}

// PerUnitTotal is the charge for one kind of unit, such as seats.
type PerUnitTotal struct {
	Name string `json:"name"`
	// Amount is in minor units.
	Amount int64 `json:"amount"`
	// Quantity may be null.
	Quantity *int `json:"quantity"`
	// Total is in minor units.
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// PaymentFailedReason says why a payment attempt failed.
type PaymentFailedReason struct {
	// Code is the gateway's error code, such as "card_declined".
	Code string `json:"code"`
	// DeclineCode is the issuer's reason, such as "insufficient_funds".
	DeclineCode string `json:"decline_code"`
}
