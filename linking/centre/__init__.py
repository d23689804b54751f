"""The customer centre: a customer contact signs in with a code e-mailed to the contact address
and sees, and ends, every partner link of their accounts (`docs/customer-centre.md`)."""
