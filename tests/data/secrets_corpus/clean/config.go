package config

import (
	"errors"
	"os"
	"time"
)

const (
	tokenHeader      = "X-Auth-Token"
	apiKeyHeader     = "X-API-Key"
	defaultTokenTTL  = 15 * time.Minute
	passwordMinChars = 12
)

// Config holds the service settings read from the environment.
type Config struct {
	DatabaseURL   string        `env:"DATABASE_URL,required"`
	JWTSecret     string        `env:"JWT_SECRET,required" json:"-"`
	APIToken      string        `env:"API_TOKEN" json:"api_token,omitempty"`
	SMTPPassword  string        `env:"SMTP_PASSWORD"`
	TokenTTL      time.Duration `env:"TOKEN_TTL" envDefault:"15m"`
	AccessKeyID   string        `json:"access_key_id"`
	SecretKeyPath string        `json:"secret_key_path"`
}

var ErrMissingSecret = errors.New("config: JWT_SECRET is not set")

func Load() (*Config, error) {
	secret := os.Getenv("JWT_SECRET")
	if secret == "" {
		return nil, ErrMissingSecret
	}
	token := os.Getenv("API_TOKEN")
	password, ok := os.LookupEnv("SMTP_PASSWORD")
	if !ok {
		password = ""
	}
	var secretKey = []byte(secret)
	cfg := &Config{JWTSecret: string(secretKey), APIToken: token, SMTPPassword: password}
	cfg.TokenTTL = defaultTokenTTL
	return cfg, nil
}

func (c *Config) Redacted() map[string]string {
	return map[string]string{
		"jwt_secret":    "[redacted]",
		"api_token":     "[redacted]",
		"smtp_password": "[redacted]",
		"token_header":  tokenHeader,
	}
}
