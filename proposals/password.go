package proposals

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane),
// about 25 ms per hash on one core here, so sign-in stays fast and guessing slow.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// HashPassword returns an argon2id hash in the PHC string form, which carries its
// own parameters so that they can be raised later without breaking old hashes.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// VerifyPassword reports whether password matches the PHC-encoded hash, in
// constant time.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Password hashes at once: one per core (hashing is CPU-bound, more would not
// go faster), at most maxPasswordSlots, so that the memory they take is
// bounded (4 × 19 MiB). A hash that finds every slot taken waits up to
// passwordSlotWait, then the caller is told to come back (ErrBusy).
const (
	maxPasswordSlots = 4
	passwordSlotWait = 2 * time.Second
)

func passwordSlotCount() int { return min(runtime.GOMAXPROCS(0), maxPasswordSlots) }

var errBusyHashing = &Error{Kind: ErrBusy, Message: "This instance is busy checking other passwords. Try again in a few seconds."}

// withPasswordSlot runs fn once a slot is free, or fails with ErrBusy.
func (s *Service) withPasswordSlot(ctx context.Context, fn func()) error {
	wait := time.NewTimer(passwordSlotWait)
	defer wait.Stop()
	select {
	case s.passwordSlots <- struct{}{}:
	case <-wait.C:
		return errBusyHashing
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.passwordSlots }()
	fn()
	return nil
}

// hashPassword is HashPassword within the service's bound.
func (s *Service) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if slotErr := s.withPasswordSlot(ctx, func() { hash, err = HashPassword(password) }); slotErr != nil {
		return "", slotErr
	}
	return hash, err
}

// verifyPassword is VerifyPassword within the service's bound.
func (s *Service) verifyPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	if slotErr := s.withPasswordSlot(ctx, func() { ok, err = VerifyPassword(hash, password) }); slotErr != nil {
		return false, slotErr
	}
	return ok, err
}

// dummyHash is verified against when a username does not exist, so that the
// answer takes as long as for a real account and does not reveal which exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$gRTWztUAdboD3mIxQuVd1g$L4NCLc8og1i4Zw+i1ETkCo7oV4AnY5SXhQeku3+daiU"
