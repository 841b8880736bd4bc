package sso

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
)

// Account is an AWS account the signed-in user can access.
type Account struct {
	ID, Name, Email string
}

// pageSize is the portal's maximum page size.
const pageSize = 100

// ListAccounts lists every account the token can access (all pages).
func (c *Client) ListAccounts(ctx context.Context, t Target, tok *Token) ([]Account, error) {
	t = t.atRegionOf(tok)
	a, err := c.api(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []Account
	pg := sso.NewListAccountsPaginator(a.portal, &sso.ListAccountsInput{AccessToken: aws.String(tok.AccessToken), MaxResults: aws.Int32(pageSize)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, c.portalError(t, "list accounts", err)
		}
		for _, acc := range page.AccountList {
			out = append(out, Account{ID: aws.ToString(acc.AccountId), Name: aws.ToString(acc.AccountName), Email: aws.ToString(acc.EmailAddress)})
		}
	}
	return out, nil
}

// ListRoles lists the roles the token can use in account (all pages).
func (c *Client) ListRoles(ctx context.Context, t Target, tok *Token, account string) ([]string, error) {
	t = t.atRegionOf(tok)
	a, err := c.api(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []string
	pg := sso.NewListAccountRolesPaginator(a.portal, &sso.ListAccountRolesInput{
		AccessToken: aws.String(tok.AccessToken), AccountId: aws.String(account), MaxResults: aws.Int32(pageSize)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, c.portalError(t, "list roles of account "+account, err)
		}
		for _, r := range page.RoleList {
			out = append(out, aws.ToString(r.RoleName))
		}
	}
	return out, nil
}

// Logout ends the portal session of tok (in the token's own region, as the
// AWS CLI does).
func (c *Client) Logout(ctx context.Context, t Target, tok *Token) error {
	t = t.atRegionOf(tok)
	a, err := c.api(ctx, t)
	if err != nil {
		return err
	}
	if _, err := a.portal.Logout(ctx, &sso.LogoutInput{AccessToken: aws.String(tok.AccessToken)}); err != nil {
		return fmt.Errorf("portal logout: %w", err)
	}
	return nil
}

func (c *Client) portalError(t Target, op string, err error) error {
	if apiCode(err) == "UnauthorizedException" {
		return loginRequired(t, op+": the IAM Identity Center portal rejected the cached token", nil)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// atRegionOf returns t with the region tok was issued in: a token is valid
// only at the portal of that region (which differs from the configured
// sso_region right after a vanity start URL resolved to another one).
func (t Target) atRegionOf(tok *Token) Target {
	if tok != nil && tok.Region != "" {
		t.Region = tok.Region
	}
	return t
}
