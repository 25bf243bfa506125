package proposals

// cachedSessionMember is the id of the member a session token belongs to if
// the session was read recently (as it is when the request signing out was
// checked), else 0. A notice about the session then names the member, so
// only their open pages check their sessions again; 0 means anyone's.
func (s *Service) cachedSessionMember(token string) int64 {
	m, ok := s.sessions.Get(TokenHash(token), s.now())
	if !ok {
		return 0
	}
	return m.ID
}
