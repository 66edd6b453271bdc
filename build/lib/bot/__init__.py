"""kneecheck: a guided chatbot for knee muscle spasms."""
