package signing

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKey parses an RSA private key from PEM: PKCS#8 ("PRIVATE KEY",
// what we generate) or PKCS#1 ("RSA PRIVATE KEY", what older tools write).
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, err := decodePEM(pemText)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse PKCS#1 private key: %w", err)
		}
		return key, nil
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse PKCS#8 private key: %w", err)
		}
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing: private key is %T, want RSA", key)
		}
		return rsaKey, nil
	}
	return nil, fmt.Errorf("signing: unsupported PEM block %q for a private key", block.Type)
}

// ParsePublicKey parses an RSA public key from PEM: PKIX ("PUBLIC KEY", what
// Mastodon and GoToSocial publish as publicKeyPem) or PKCS#1 ("RSA PUBLIC KEY",
// which a few older implementations publish).
func ParsePublicKey(pemText string) (*rsa.PublicKey, error) {
	block, err := decodePEM(pemText)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		key, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse PKCS#1 public key: %w", err)
		}
		return key, nil
	case "PUBLIC KEY":
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse PKIX public key: %w", err)
		}
		rsaKey, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("signing: public key is %T, want RSA", key)
		}
		return rsaKey, nil
	}
	return nil, fmt.Errorf("signing: unsupported PEM block %q for a public key", block.Type)
}

// decodePEM returns the first PEM block. Surrounding whitespace is trimmed:
// remote publicKeyPem values sometimes carry some, and pem.Decode does not
// find a BEGIN line that is indented.
func decodePEM(pemText string) (*pem.Block, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("signing: no PEM block found")
	}
	return block, nil
}
