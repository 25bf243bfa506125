package proposals

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"time"
)

// KeyBits is the RSA key size Mastodon and its peers expect.
const KeyBits = 2048

// GenerateKeyPair makes a fresh RSA key pair, PEM-encoded (PKCS#8 private key,
// PKIX public key: the forms other fediverse servers publish and parse).
func GenerateKeyPair(now time.Time) (KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generate RSA key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("encode private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return KeyPair{}, fmt.Errorf("encode public key: %w", err)
	}
	return KeyPair{
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		PublicKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		CreatedAt:     now,
	}, nil
}

// Fingerprint is a short, stable name for the public key (SHA-256 of its DER),
// logged at start-up so an operator can see that the key survived a restart.
func (k KeyPair) Fingerprint() string {
	block, _ := pem.Decode([]byte(k.PublicKeyPEM))
	if block == nil {
		return "invalid"
	}
	sum := sha256.Sum256(block.Bytes)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
