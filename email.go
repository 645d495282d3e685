package clerkwebhook

import (
	"encoding/json"
	"time"
)

// Email is the data of email.created: an email Clerk is about to send (or,
// when DeliveredByClerk is false, that you are expected to send yourself).
type Email struct {
	ID     string `json:"id"`     // "ema_..."
	Object string `json:"object"` // "email"
	// Slug names the template, such as "verification_code".
	Slug *string `json:"slug,omitempty"`
	// FromEmailName is the local part of the sender, such as
	// "notifications".
	FromEmailName string `json:"from_email_name"`
	// ReplyToEmailName is the local part of the reply-to address (catalog
	// only).
	ReplyToEmailName *string `json:"reply_to_email_name,omitempty"`
	ToEmailAddress   *string `json:"to_email_address,omitempty"`
	// EmailAddressID is the recipient's identification ("idn_..."), if
	// the recipient is a known email address.
	EmailAddressID *string `json:"email_address_id"`
	UserID         *string `json:"user_id,omitempty"`
	Subject        *string `json:"subject,omitempty"`
	// Body is the HTML body.
	Body      *string `json:"body,omitempty"`
	BodyPlain *string `json:"body_plain,omitempty"`
	// Status is such as "queued".
	Status *string `json:"status,omitempty"`
	// Data holds the template variables as raw JSON: an object with keys
	// such as "app", "otp_code", "requested_at", "theme" and "user". It may
	// be null or absent.
	Data json.RawMessage `json:"data,omitempty"`
	// DeliveredByClerk is false when the application sends the email
	// itself.
	DeliveredByClerk bool `json:"delivered_by_clerk"`
	// SuppressionReason says why the email was not delivered, if it was
	// suppressed (@clerk/backend only).
	SuppressionReason *string `json:"suppression_reason,omitempty"`
}

// SMSMessage is the data of sms.created: a text message Clerk is about to
// send (or, when DeliveredByClerk is false, that you are expected to send
// yourself).
type SMSMessage struct {
	ID     string `json:"id"`     // "sms_..."
	Object string `json:"object"` // "sms_message"
	// FromPhoneNumber and ToPhoneNumber are in E.164 form.
	FromPhoneNumber string `json:"from_phone_number"`
	ToPhoneNumber   string `json:"to_phone_number"`
	// PhoneNumberID is the recipient's identification ("idn_..."), if the
	// recipient is a known phone number.
	PhoneNumberID *string `json:"phone_number_id"`
	UserID        *string `json:"user_id,omitempty"`
	// Message is the text to send.
	Message string `json:"message"`
	// Status is such as "queued".
	Status string `json:"status"`
	// Slug names the template, such as "verification_code".
	Slug *string `json:"slug,omitempty"`
	// Data holds the template variables as raw JSON (such as "app" and
	// "otp_code"). It may be null or absent.
	Data             json.RawMessage `json:"data,omitempty"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
	// CreatedAt and CreatedAtMS are two spellings of the creation time,
	// both documented only by the catalog, which contradicts itself: its
	// schema says "created_at_ms" and its example sends "created_at". Use
	// Created to read whichever is present.
	CreatedAt   *UnixMillis `json:"created_at,omitempty"`
	CreatedAtMS *UnixMillis `json:"created_at_ms,omitempty"`
}

// Created returns the creation time from "created_at_ms" or, failing that,
// "created_at", or the zero time when the payload has neither. Like every
// optional time in this package, absent is the zero time.Time.
func (m *SMSMessage) Created() time.Time {
	switch {
	case m.CreatedAtMS != nil:
		return m.CreatedAtMS.Time()
	case m.CreatedAt != nil:
		return m.CreatedAt.Time()
	}
	return time.Time{}
}
