"""Trust for parties and courts (issue 20): verifiable issued documents (verify), recusal (回避, recusal) and
appointments (预约调解, appointments)."""
